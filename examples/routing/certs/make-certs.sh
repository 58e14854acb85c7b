#!/bin/sh
# Makes the example's self-signed test certificates (P-256, valid 10 years) with the openssl CLI.
# They are for this demo on 127.0.0.1 only: the keys are published with the example, so never use
# them for anything real. Run again to replace them (the gateway reloads its files on change).
set -eu
cd "$(dirname "$0")"
make() {  # name, CN, subjectAltNames
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$1-key.pem" -out "$1.pem" -subj "/CN=$2/O=trellis-example" -addext "subjectAltName=$3" 2>/dev/null
}
make gateway secure.routing.test "DNS:secure.routing.test,DNS:grpc.routing.test"
make passthrough passthrough.routing.test "DNS:passthrough.routing.test"
echo "wrote $(pwd)/gateway.pem, gateway-key.pem, passthrough.pem, passthrough-key.pem"

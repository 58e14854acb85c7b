// A gRPC echo service for tests, on @grpc/grpc-js with JSON messages (no .proto needed):
// unary, server streaming, client streaming and bidirectional streaming, plus a slow method.
import * as grpc from '@grpc/grpc-js'

interface Msg { text: string; from?: string; delayMs?: number }
const ser = (m: Msg) => Buffer.from(JSON.stringify(m))
const de = (b: Buffer) => JSON.parse(b.toString()) as Msg
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path, requestStream, responseStream, requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de,
})

export const EchoService = {
  unary: method('/test.Echo/Unary', false, false),
  slow: method('/test.Echo/Slow', false, false),
  serverStream: method('/test.Echo/ServerStream', false, true),
  clientStream: method('/test.Echo/ClientStream', true, false),
  bidi: method('/test.Echo/Bidi', true, true),
  unknown: method('/test.Echo/Unknown', false, false),
} as const

export const EchoClient = grpc.makeGenericClientConstructor(EchoService as unknown as grpc.ServiceDefinition, 'Echo')

/** grpc.health.v1.Health with hand-written protobuf: HealthCheckResponse{status} is bytes 08 <status>. */
const HealthService = {
  check: {
    path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
    requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
    responseSerialize: (status: number) => Buffer.from([0x08, status]), responseDeserialize: (b: Buffer) => b,
  },
}

export interface EchoServer { server: grpc.Server; port: number; health: { status: number } }

export async function startEchoServer(name: string): Promise<EchoServer> {
  const server = new grpc.Server()
  const health = { status: 1 } // SERVING
  server.addService(HealthService as unknown as grpc.ServiceDefinition, {
    check: (_call: unknown, cb: grpc.sendUnaryData<number>) => cb(null, health.status),
  } as unknown as grpc.UntypedServiceImplementation)
  const impl = {
    unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb(null, { text: call.request.text, from: name }),
    slow: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => setTimeout(() => cb(null, { text: call.request.text, from: name }), call.request.delayMs ?? 1000),
    serverStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      for (let i = 0; i < 3; i++) call.write({ text: `${call.request.text}-${i}`, from: name })
      call.end()
    },
    clientStream: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const parts: string[] = []
      call.on('data', (m: Msg) => parts.push(m.text))
      call.on('end', () => cb(null, { text: parts.join('+'), from: name }))
    },
    bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: m.text.toUpperCase(), from: name }))
      call.on('end', () => call.end())
    },
    unknown: (_call: unknown, cb: grpc.sendUnaryData<Msg>) => cb({ code: grpc.status.NOT_FOUND, details: 'nope' } as grpc.ServiceError, null),
  }
  server.addService(EchoService as unknown as grpc.ServiceDefinition, impl as unknown as grpc.UntypedServiceImplementation)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))))
  return { server, port, health }
}

// Control-plane metrics in Prometheus text format.
import { Counter, Gauge, Registry } from 'prom-client'

export class ControlPlaneMetrics {
  readonly registry = new Registry()
  readonly configVersion = new Gauge({ name: 'trellis_config_version', help: 'Current config version', registers: [this.registry] })
  readonly proxiesConnected = new Gauge({ name: 'trellis_proxies_connected', help: 'Proxies with an open config stream', registers: [this.registry] })
  readonly instancesReady = new Gauge({ name: 'trellis_instances_ready', help: 'Registered instances receiving traffic', registers: [this.registry] })
  readonly applies = new Counter({ name: 'trellis_applies_total', help: 'Config changes by outcome', labelNames: ['outcome'], registers: [this.registry] })
  readonly nacks = new Counter({ name: 'trellis_config_nacks_total', help: 'Config versions rejected by a proxy', registers: [this.registry] })
  readonly certificatesIssued = new Counter({ name: 'trellis_certificates_issued_total', help: 'Mesh certificates issued to proxies (registrations and renewals)', registers: [this.registry] })
}

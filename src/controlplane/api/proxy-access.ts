// Which proxy a request of the proxy API may act as. A join token admits any proxy it allows (one
// limited to a Workload: that Workload's sidecars only, never a gateway, whose identity sidecars
// trust for x-trellis-consumer). A proxy credential names one proxy and acts as that one only: it
// can never register another Workload's sidecar, another replica or a gateway, nor take their
// mesh identity.
import type { IncomingMessage } from 'node:http'
import type { ProxyAuth } from '../auth.js'
import type { ControlPlane } from '../control-plane.js'
import { HttpError } from '../http-util.js'
import { describeProxy, proxyNameOf, sameProxy } from '../proxy-credential.js'
import type { ProxyRegistration } from '../registry.js'

type Named = Pick<ProxyRegistration, 'kind' | 'workload' | 'replica' | 'gateway'>

/** The request's join token or proxy credential; 401 saying why when it has neither valid. */
export function authenticateProxy(cp: ControlPlane, req: IncomingMessage, now: number): ProxyAuth {
  const auth = cp.creds.authenticateProxy(req.headers.authorization, now)
  if ('refused' in auth) throw new HttpError(401, auth.refused)
  return auth
}

/** 403 unless `auth` may register, or act for, the proxy `proxy` names. */
export function requireActsAs(auth: ProxyAuth, proxy: Named): void {
  if (auth.via === 'join') {
    if (auth.workload && (proxy.kind !== 'sidecar' || proxy.workload !== auth.workload)) throw new HttpError(403, `join token is for sidecars of workload ${auth.workload}`)
    return
  }
  const name = proxyNameOf(proxy)
  if (!sameProxy(auth.proxy, name)) {
    throw new HttpError(403, `the proxy credential is for ${describeProxy(auth.proxy)}, not ${describeProxy(name)}; it acts only for the proxy it was handed to`)
  }
}

/** A fresh credential for the proxy, handed out with every registration. */
export function credentialFor(cp: ControlPlane, proxy: Named, now: number): string {
  return cp.creds.createProxyCredential(proxyNameOf(proxy), cp.proxyCredentialTtlMs, now)
}

/** A fresh credential for a status answer once the presented one is past half its life (or the
 *  proxy came with its join token): a proxy that keeps reporting never runs out. */
export function renewedCredential(cp: ControlPlane, auth: ProxyAuth, proxy: Named, now: number): string | null {
  if (auth.via === 'credential' && auth.exp - now > cp.proxyCredentialTtlMs / 2) return null
  return credentialFor(cp, proxy, now)
}

import type { Command } from 'commander'
import { AdminClient, findControlPlane } from '../controlplane/admin-client.js'

/** Flags every client command shares: where the control plane is and where its token lives. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--control-plane <url>', 'control plane URL (default: TRELLIS_CONTROL_PLANE, then .trellis/control-plane-url)')
    .option('--state <dir>', 'state folder holding admin-token and control-plane-url (default: .trellis)')
}

export function adminClient(opts: { controlPlane?: string; state?: string }): AdminClient {
  return new AdminClient(findControlPlane(opts))
}

import type { Command } from 'commander'
import type { AdminClient } from '../controlplane/admin-client.js'

/** Flags every client command shares: where the control plane is and where its token lives. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--control-plane <url>', 'control plane URL (default: TRELLIS_CONTROL_PLANE, then .trellis/control-plane-url)')
    .option('--state <dir>', 'state folder holding admin-token and control-plane-url (default: .trellis)')
}

/** Loaded on use, so commands that never call the control plane don't pay for its HTTP client. */
export async function adminClient(opts: { controlPlane?: string; state?: string }): Promise<AdminClient> {
  const { AdminClient, findControlPlane } = await import('../controlplane/admin-client.js')
  return new AdminClient(findControlPlane(opts))
}

/**
 * Timing of the onion-service layer (docs/RENDEZVOUS.md). The idea: a client
 * never waits on the slowest HSDir or introduction point, and a service keeps
 * its reachability fresh without flooding the ring. The threat each bounds is
 * said beside it.
 */

/** After the first valid descriptor arrives, how long to wait for a newer one from the other HSDirs. */
export const FETCH_GRACE_MS = 1_500
/**
 * How long a client waits for the service to come to the rendezvous point
 * after one introduction before it tries the next introduction point (the
 * service builds one circuit: well under a second normally). A late answer
 * is still taken while later introductions are tried, and once more after
 * the last. A point can acknowledge INTRODUCE1 and still fail to deliver it
 * (its circuit to the service runs through a relay that just left).
 */
export const RENDEZVOUS_WAIT_MS = 6_000
/** How long an HSDir has to answer one HSDIR_FETCH before it counts as gone. */
export const HSDIR_FETCH_TIMEOUT_MS = 15_000
/** How often the service checks its introduction circuits and HSDir set. */
export const SERVICE_CHECK_MS = 5_000
/** Keep-alive for idle service and session circuits (relays close idle ones after 10 min). */
export const KEEPALIVE_MS = 120_000
/** How long a contact's descriptor is reused for reconnecting before it is fetched again. */
export const DESCRIPTOR_CACHE_MS = 5 * 60_000

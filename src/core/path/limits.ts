/**
 * The numbers of the second guard layer (vanguards-lite, Tor proposal 333)
 * and of path-bias detection (path-spec "Path bias detection", its "simpler
 * path-bias enforcement"), named in one place with where they come from and
 * how they were scaled to tab relays. Entry-guard numbers stay in guards.ts.
 */

/** Layer-2 vanguards kept (prop 333 §1: NUM_LAYER2_GUARDS = 4). */
export const L2_VANGUARD_COUNT = 4

/**
 * A layer-2 vanguard's lifetime is max(X, X) for X uniform in
 * [MIN, MAX] (prop 333 §1: one to twelve days, mean about a week). Tor's
 * relays live for months, its L2 set for days, i.e. the layer below the guard
 * turns over at some 1/30 of the guard's pace. A tab's guards live for the
 * session (minutes to hours) and the relays themselves are tabs that close
 * within hours, so the same ratio puts days at hours: one to twelve hours.
 * Longer would change nothing (an L2 tab that closes leaves the directory and
 * is replaced at once); shorter would show more distinct L2 relays to an
 * adversary sitting next to rendezvous points (prop 292 §3.1: each new L2 is
 * another chance that one of them is the adversary's).
 */
export const L2_MIN_LIFETIME_MS = 60 * 60_000
export const L2_MAX_LIFETIME_MS = 12 * 60 * 60_000

/**
 * Path bias ("path bias lite", path-spec: A simpler path-bias enforcement,
 * as Arti does it). Per guard we count circuits built through it and
 * circuits that failed beyond it on a path we chose entirely ourselves
 * (indeterminate failures with a random path). Once there are at least this
 * many (path-spec MIN_OBSERVATIONS = 15), the share of failures is judged.
 * Tor's full scheme waits for pb_mincircs = 150; a tab builds tens of
 * circuits in a session, not thousands, which is why the lite numbers fit.
 */
export const PATH_BIAS_MIN_OBSERVATIONS = 15
/** Failure share above which the guard is flagged (path-spec WARN_THRESHOLD = 0.50). */
export const PATH_BIAS_WARN_FAILURE_SHARE = 0.5
/** Failure share above which the guard is no longer used (path-spec DISABLE_THRESHOLD = 0.70). */
export const PATH_BIAS_DISABLE_FAILURE_SHARE = 0.7
/**
 * Newer observations must count more than old ones (path-spec: "SHOULD
 * ensure that newer measurements count more"; the full scheme halves its
 * counts at pb_scalecircs = 300, factor 1/2). We halve at this total, so a
 * guard that turns bad late in a long session is still caught.
 */
export const PATH_BIAS_SCALE_AT = 60
/**
 * At most this many guards are disabled for path bias per session; beyond
 * it they are only flagged. Failures beyond the guard on every guard in
 * turn say the network is failing (dead tabs, an adversary who controls
 * many middles), not the guard, and disabling guard after guard would walk
 * the tab through them, which is what guard discovery wants (the reason Tor
 * ships pb_dropguards = 0).
 */
export const PATH_BIAS_MAX_DISABLED = 2

// Node 20 lacks Promise.withResolvers (ES2024), which js-libp2p 3.x uses.
// Loaded with `--import` before anything else at every Node entry point.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

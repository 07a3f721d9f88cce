// libp2p 3.x uses Promise.withResolvers (Node >= 22). Node 20 lacks it, so the
// unit tests install the same polyfill the bootstrap relay uses.
import '../src/bootstrap/polyfills.mjs'

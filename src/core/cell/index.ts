/**
 * Cell encoding (the `tor-cell` half of arti's split): link cells, relay cell
 * bodies and structured relay messages. Pure and stateless; the onion state
 * lives in ../crypto (relay crypto) and the circuit layer.
 */
export * from './link.ts'
export * from './relay.ts'
export * from './messages.ts'

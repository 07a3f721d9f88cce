/**
 * The few runtime globals `src/core` may use: standard in every JavaScript
 * runtime we target (browsers, Node ≥ 18, workers) but declared by the DOM
 * lib, which core's tsconfig leaves out on purpose so that `window`,
 * `document` or `indexedDB` in core fail the typecheck.
 */
interface TextEncoder { encode(input?: string): Uint8Array<ArrayBuffer> }
declare var TextEncoder: { prototype: TextEncoder, new(): TextEncoder }
interface TextDecoder { decode(input?: Uint8Array, options?: { stream?: boolean }): string }
declare var TextDecoder: { prototype: TextDecoder, new(label?: string, options?: { fatal?: boolean, ignoreBOM?: boolean }): TextDecoder }

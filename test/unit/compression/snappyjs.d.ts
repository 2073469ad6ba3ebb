/** Types for the snappyjs devDependency (it ships none); used only as a cross-check in tests. */
declare module 'snappyjs' {
  const SnappyJS: {
    compress<T extends Uint8Array | ArrayBuffer>(input: T): T
    uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T
  }
  export default SnappyJS
}

// Vite inlines `?raw` imports as strings: the only way a test inside workerd sees a fixture file's bytes.
declare module "*?raw" {
  const content: string;
  export default content;
}

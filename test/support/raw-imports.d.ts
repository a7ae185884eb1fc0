/** `import text from './file?raw'`: vite (under vitest) hands over a file's text as a string. */
declare module '*?raw' {
  const text: string;
  export default text;
}

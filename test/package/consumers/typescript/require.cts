// CommonJS TypeScript: this import compiles to require(), which loads the ESM package through Node's
// require(esm); TypeScript allows it under module nodenext (5.8+). It prints one JSON line.
import { ConfigError, createPool } from 'sqlpin';

let configError: string | undefined;
try {
  createPool({ url: 'nosuchscheme://x' });
} catch (error) {
  if (error instanceof ConfigError) configError = error.code;
}
console.log(JSON.stringify({ configError, loadedBy: typeof require }));

/**
 * `npm run demo` runs `vite demo`, and Vite looks for its config in the root it is given: this
 * file hands it the project's vite.config.ts (which serves the LDBC sample, among others).
 */
export { default } from '../vite.config.ts';

// plop looks for its file at the root; the generators live in tools/generators.
export { default } from './tools/generators/plopfile.js';

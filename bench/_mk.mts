import { makeBenchTemplates } from './fixtures.ts';
console.log(await makeBenchTemplates('/tmp/bt'));

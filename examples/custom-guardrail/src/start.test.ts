import { describeNpmStart } from '../../shared/describe-npm-start.ts';

describeNpmStart(new URL('..', import.meta.url));

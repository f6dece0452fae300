export {
  type CountExpectation,
  checkGate,
  describeExpectation,
  type Expectation,
  expectationHolds,
} from './expectation.ts';
export type { ArtifactRecord, ArtifactRecorder, Scope, Workspace, WriteContext } from './types.ts';

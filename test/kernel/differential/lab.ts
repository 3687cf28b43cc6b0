// The one place the differential test imports the kernel lab from, so the lab
// can move without touching the test's other files.
export {
  buildWorld, cleanupOrphans, describeFlow,
  type Flow as LabFlow, type ProbeOptions, type ProbeResult, type World, type WorldSpec,
} from '../../../src/lab/index.ts';
export { describeKernel } from '../../support/describe-requiring.ts';

/**
 * Whether this test process runs in the suite's own network namespace (scripts/in-test-netns.sh,
 * which `npm test` goes through), where multicast on the loopback interface reaches only this
 * suite's processes. Tests that announce, query or probe on the network take it as their `skip`
 * option: false inside the namespace, else the reason they cannot run.
 */
export const outsideTestNetns: string | false =
  process.env.ENGINE_TEST_NETNS === 'inside'
    ? false
    : (process.env.ENGINE_TEST_NETNS ??
      'not in the test network namespace: run through scripts/in-test-netns.sh (npm test does)');

/** The interface the namespace gives: loopback, carrying multicast. Discovery tests allow only it. */
export const TEST_INTERFACE = 'lo';

import { describe, expect, it } from 'vitest';

describe('the local runtime', () => {
  it('is Node 24, the major of the Lambda runtime nodejs24.x', () => {
    // npm scripts put node_modules/.bin first, so the "node" devDependency runs the suite, not the system Node.
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});

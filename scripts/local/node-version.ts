/** The Lambda runtime is nodejs24.x; running anything else locally would test another runtime. */
export function assertNode24(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24) {
    throw new Error(
      `This runs on Node ${process.versions.node}, but the service targets Node 24 (Lambda nodejs24.x). ` +
        'Run it through npm (npm start, npm test), which uses the Node 24 of the "node" devDependency; ' +
        'if that is missing, reinstall with install scripts enabled (npm install).',
    );
  }
}

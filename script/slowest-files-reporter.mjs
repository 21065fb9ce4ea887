// A jest reporter that ends every run with the suite's wall time and its slowest test files,
// so the CI log shows where the time goes. `SLOWEST_FILES` sets how many (default 10).

export default class SlowestFilesReporter {
  constructor(_globalConfig, options = {}) {
    this.count = Number(process.env.SLOWEST_FILES ?? options.count ?? 10)
  }

  onRunComplete(_contexts, results) {
    const wallSeconds = (Date.now() - results.startTime) / 1000
    const files = results.testResults
      .map((file) => ({
        // From the moment a worker took the file up: `start` is when it was queued.
        seconds:
          (file.perfStats.end - (file.perfStats.loadTestEnvironmentStart || file.perfStats.start)) /
          1000,
        name: file.testFilePath.replace(`${process.cwd()}/`, ''),
        tests: file.numPassingTests + file.numFailingTests
      }))
      .sort((a, b) => b.seconds - a.seconds)
    const total = files.reduce((sum, file) => sum + file.seconds, 0)
    const lines = [
      '',
      `Suite time: ${wallSeconds.toFixed(1)} s wall for ${files.length} files ` +
        `(${total.toFixed(1)} s summed over files, ${results.numTotalTests} tests)`,
      `Slowest files:`,
      ...files
        .slice(0, this.count)
        .map(
          (file) =>
            `${file.seconds.toFixed(1).padStart(7)} s  ${String(file.tests).padStart(4)} tests  ${file.name}`
        ),
      ''
    ]
    process.stderr.write(`${lines.join('\n')}\n`)
  }
}

// Keeps the "Latest results" section of bench/README.md in step with the last full run.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './processes.mjs'
import { coldStartLine, machineLine, markdownTable, postgresLine, scenarioRows, seedLines, targetRows } from './report.mjs'

const README = join(ROOT, 'bench', 'README.md')
const START = '<!-- bench:latest:start (written by npm run bench; edits here are overwritten) -->'
const END = '<!-- bench:latest:end -->'

function section (results) {
  const code = results.code.commit === undefined ? '' : `, commit ${results.code.commit}${results.code.srcChanged ? ' with uncommitted changes in src/' : ''}`
  return [
    START,
    '',
    `Full run of ${results.startedAt}${code}: ${results.settings.seconds} s per scenario after a ${results.settings.warmupSeconds} s warm-up.`,
    '',
    `Machine: ${machineLine(results.machine)}.`,
    '',
    markdownTable(scenarioRows(results)),
    '',
    markdownTable(targetRows(results)),
    '',
    `- ${coldStartLine(results.coldStart)}`,
    `- ${postgresLine(results.postgres)}`,
    ...seedLines(results).map(line => `- seed ${line}`),
    ...(results.problems.length === 0 ? [] : ['', 'Problems seen in this run:', '', ...results.problems.map(p => `- ${p}`)]),
    '',
    END
  ].join('\n')
}

/** Replaces the section between the markers, or appends it when they are missing. */
export function updateReadme (results) {
  const text = readFileSync(README, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  const next = start >= 0 && end > start
    ? text.slice(0, start) + section(results) + text.slice(end + END.length)
    : `${text.trimEnd()}\n\n## Latest results\n\n${section(results)}\n`
  writeFileSync(README, next)
  return README
}

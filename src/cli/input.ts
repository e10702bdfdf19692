import { isUtf8 } from 'node:buffer'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { CliError } from './errors.js'

/**
 * Where `trove secret set` gets a value when --value is not given, as Baseten's CLI does: piped
 * stdin with exactly one trailing newline removed (`echo` and heredocs add one), or a prompt that
 * does not echo when stdin is a terminal.
 */
export async function readSecretValue (name: string): Promise<string> {
  if (process.stdin.isTTY) return await promptHidden(`Value for ${name} (input is hidden): `)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return stripOneNewline(utf8Text(Buffer.concat(chunks), 'the value on standard input'))
}

/**
 * Bytes as text, refused when they are not UTF-8: decoded anyway, they would reach Trove as
 * U+FFFD and be stored as another value than the one given.
 */
export function utf8Text (bytes: Buffer, what: string): string {
  if (!isUtf8(bytes)) throw new CliError(`${what} is not UTF-8 text; Trove stores values as text (encode binary values, e.g. with base64)`)
  return bytes.toString('utf8')
}

export function stripOneNewline (text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2)
  if (text.endsWith('\n')) return text.slice(0, -1)
  return text
}

/**
 * readline in terminal mode reads keys raw (no echo by the terminal); its own echo goes to an
 * output that is muted once the prompt is shown, so the value never appears on screen.
 */
async function promptHidden (prompt: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write (chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk)
      done()
    }
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return await new Promise<string>((resolve, reject) => {
    let answered = false
    let interrupted = false
    rl.on('SIGINT', () => {
      interrupted = true
      rl.close()
    })
    rl.on('close', () => {
      process.stderr.write('\n')
      // Ctrl-C exits as an interrupted program would; Ctrl-D is just "no value"
      if (!answered) reject(interrupted ? new CliError('cancelled; nothing was set', 130) : new CliError('no value given; nothing was set'))
    })
    rl.question(prompt, answer => {
      answered = true
      rl.close()
      resolve(answer)
    })
    muted = true
  })
}

import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import t from 'tap'
import { ROOT, startTrove, type TroveProcess } from '../fixtures/process.js'

// The web console in real headless Chromium against a real server process (dist/server.js, the
// console built into dist/console by `npm run build`).

const CHROMIUM = process.env.TROVE_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const ADMIN_KEY = 'console-e2e-bootstrap-key-0123456789'
const SHOTS = join(ROOT, 'test-output', 'screenshots')
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
const MULTI_LINE = '-----BEGIN KEY-----\nline one\nline two\n-----END KEY-----'

if (!existsSync(CHROMIUM)) {
  t.plan(0, `skipped: no Chromium at ${CHROMIUM}; install it with "apt-get install -y chromium" (.ci/run does) or set TROVE_CHROMIUM`)
} else if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) {
  t.fail('dist/console/index.html is missing: run "npm run build" first')
} else {
  await run()
}

interface Seen {
  foreign: string[]
  cspViolations: string[]
  pageErrors: string[]
  apiResponses: Array<{ url: string, status: number }>
}

async function run (): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  const trove: TroveProcess = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: ADMIN_KEY, TROVE_RATE_LIMIT: '100000' })
  t.teardown(async () => { await trove.stop() })
  const origin = new URL(trove.url).origin

  const api = async (method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(`${trove.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }

  // a second team and a few secrets, so the lists and the team switcher have something to show
  const ml = await api('POST', '/v1/teams', { name: 'ml' })
  const mlId = String(ml.body.id)
  await api('POST', '/v1/secrets', { name: 'hf_access_token', value: 'hf_abc' })
  await api('POST', '/v1/secrets', { name: 'wandb-api-key', value: 'wandb_123' })
  await api('POST', `/v1/teams/${mlId}/secrets`, { name: 'openai_key', value: 'sk-123' })

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  t.teardown(async () => { await browser.close() })
  const context: BrowserContext = await browser.newContext({ viewport: DESKTOP })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
  const page: Page = await context.newPage()
  page.setDefaultTimeout(10_000)

  const seen: Seen = { foreign: [], cspViolations: [], pageErrors: [], apiResponses: [] }
  context.on('request', request => {
    const url = request.url()
    if (!url.startsWith('data:') && new URL(url).origin !== origin) seen.foreign.push(url)
  })
  page.on('console', message => {
    if (/Content Security Policy|Refused to/i.test(message.text())) seen.cspViolations.push(message.text())
  })
  page.on('pageerror', err => seen.pageErrors.push(err.message))
  page.on('response', response => {
    if (new URL(response.url()).pathname.startsWith('/v1/')) seen.apiResponses.push({ url: response.url(), status: response.status() })
  })

  // evaluated in the page (this file is type-checked without the DOM library)
  const inPage = async (expression: string): Promise<unknown> => await page.evaluate(expression)
  /** waits up to two seconds for a page expression to equal a value (effects run after a paint) */
  const becomes = async (expression: string, expected: unknown): Promise<boolean> =>
    await page.waitForFunction(`(${expression}) === ${JSON.stringify(expected)}`, undefined, { timeout: 2000 }).then(() => true, () => false)
  const shot = async (name: string, fullPage = true): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage })
  }
  const see = async (text: string | RegExp): Promise<void> => {
    await page.getByText(text).first().waitFor()
  }
  const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true })
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true })
  const posts = () => seen.apiResponses.filter(r => /\/secrets$/.test(new URL(r.url).pathname)).length

  t.test('the page comes with a strict Content-Security-Policy and nothing inline', async t => {
    const response = await page.goto(`${trove.url}/`)
    t.equal(response?.status(), 200)
    const headers = response?.headers() ?? {}
    const csp = headers['content-security-policy'] ?? ''
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
      "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
      t.ok(csp.split(';').map(d => d.trim()).includes(directive), `CSP has ${directive}`, { csp })
    }
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'no unsafe-inline or unsafe-eval')
    t.equal(headers['x-frame-options'], 'DENY')
    t.equal(headers['x-content-type-options'], 'nosniff')
    t.equal(headers['referrer-policy'], 'no-referrer')
    t.equal(headers['cache-control'], 'no-store', 'the page itself is never cached')

    const html = await (await fetch(`${trove.url}/`)).text()
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script')
    t.notMatch(html, /<style|\sstyle=/i, 'no inline style')
    t.notMatch(html, /https?:\/\//, 'no absolute URL: nothing from another origin')
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    t.ok(asset, 'the script is a file under /assets/')
    const js = await fetch(`${trove.url}${asset ?? ''}`)
    t.equal(js.status, 200)
    t.match(js.headers.get('content-type'), /javascript/)
    t.match(js.headers.get('cache-control'), /immutable/, 'hashed assets may be cached')
    t.ok(js.headers.get('content-security-policy'), 'assets carry the policy too')
    const missing = await fetch(`${trove.url}/assets/nothing-here.js`)
    t.equal(missing.status, 404, 'an unknown asset is the API 404')
    t.match(await missing.json(), { code: 'not_found' })
  })

  t.test('a wrong key shows an error and no data', async t => {
    await heading('Sign in to Trove').waitFor()
    await shot('desktop-sign-in')
    const before = seen.apiResponses.length
    await page.getByLabel('API key').fill('trove_not-a-real-key-at-all-0000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    t.match(await alert.innerText(), /the API key is not valid/, 'the server\'s message, in words')
    await shot('desktop-sign-in-wrong-key')
    const calls = seen.apiResponses.slice(before)
    t.ok(calls.length > 0, 'the key was checked')
    t.ok(calls.every(r => r.status === 401), 'every API answer was 401', { calls })
    t.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no navigation')
    t.equal(await page.getByRole('table').count(), 0, 'no table')
    t.notMatch(await page.locator('body').innerText(), /hf_access_token|wandb|openai/, 'no secret names')
    t.equal(await inPage("sessionStorage.getItem('trove.apiKey')"), null, 'nothing kept')
  })

  t.test('sign in, add a secret and see it listed', async t => {
    await page.getByLabel('API key').fill(ADMIN_KEY)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await heading('Secrets').waitFor()
    t.equal(await inPage("sessionStorage.getItem('trove.apiKey')"), ADMIN_KEY, 'the key is in sessionStorage')
    t.equal(await inPage('localStorage.length'), 0, 'and nowhere more lasting')
    t.equal(await inPage('document.cookie'), '', 'no cookie')
    await page.getByRole('row', { name: /hf_access_token/ }).waitFor()
    t.equal(await page.getByRole('row', { name: /openai_key/ }).count(), 1, 'all teams are listed')

    // the team switcher
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'ml' })
    await page.getByRole('row', { name: /hf_access_token/ }).waitFor({ state: 'detached' })
    t.equal(await page.getByRole('row', { name: /openai_key/ }).count(), 1, 'one team')
    await page.getByLabel('Team', { exact: true }).selectOption({ label: 'All teams' })
    await page.getByRole('row', { name: /hf_access_token/ }).waitFor()

    await page.getByRole('button', { name: 'Add secret' }).click()
    const name = page.getByLabel('Name', { exact: true })
    const value = page.getByLabel('Value', { exact: true })
    t.ok(await becomes('document.activeElement?.id', 'new-name'), 'the name field has the focus')
    const sent = posts()
    for (const [bad, problem] of [['bad name', /only letters, digits/], ['..', /cannot be a name/], ['n'.repeat(254), /at most 253/]] as const) {
      await name.fill(bad)
      await value.fill('x')
      await page.getByRole('button', { name: 'Add secret' }).click()
      await see(problem)
      t.equal(await name.getAttribute('aria-invalid'), 'true', `"${bad.slice(0, 12)}" is marked invalid`)
    }
    t.equal(posts(), sent, 'nothing was sent for a bad name')
    await shot('desktop-add-secret-invalid')

    await name.fill('db_password')
    await value.fill(MULTI_LINE)
    t.equal(await inPage("getComputedStyle(document.getElementById('new-value')).getPropertyValue('-webkit-text-security')"), 'disc', 'the value is masked')
    await page.getByLabel('Team', { exact: true }).last().selectOption({ label: 'default' })
    await shot('desktop-add-secret')
    await page.getByRole('button', { name: 'Add secret' }).click()
    await heading('db_password').waitFor()
    await see('Secret "db_password" added to default.')

    await nav('Secrets').click()
    const row = page.getByRole('row', { name: /db_password/ })
    await row.waitFor()
    const cells = await row.locator('th, td').allInnerTexts()
    t.match(cells, ['db_password', 'default', '1', /^fp_[A-Za-z0-9_-]{16}$/, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, /^\d{4}-\d\d-\d\d/], 'name, team, version, fingerprint, times')

    await page.getByLabel('Filter by name or team').fill('zzz')
    await see('No secret matches the filter.')
    await page.getByLabel('Filter by name or team').fill('DB_')
    await row.waitFor()
    t.equal(await page.locator('tbody tr').count(), 1, 'the filter leaves one row')
    await page.getByLabel('Filter by name or team').fill('')
    await shot('desktop-secrets')
  })

  t.test('reveal, edit, see the new version, roll back', async t => {
    await page.getByRole('link', { name: 'db_password' }).click()
    await heading('db_password').waitFor()
    t.notOk((await page.content()).includes('line one'), 'no value before "Reveal"')
    await page.getByRole('button', { name: 'Reveal value' }).click()
    const revealed = page.getByLabel('Value of db_password')
    await revealed.waitFor()
    t.equal(await revealed.textContent(), MULTI_LINE, 'the value, line breaks and all')
    await shot('desktop-secret-revealed')

    await nav('Trash').click()
    await heading('Trash').waitFor()
    await page.goBack()
    await heading('db_password').waitFor()
    await page.getByRole('button', { name: 'Reveal value' }).waitFor()
    t.notOk((await page.content()).includes('line one'), 'hidden again after navigating')

    await page.getByRole('button', { name: 'Edit value' }).click()
    const field = page.getByLabel('New value for db_password')
    t.ok(await becomes('document.activeElement?.id', 'edit-value'), 'the new value field has the focus')
    await field.fill('second value')
    await page.getByRole('button', { name: 'Save new value' }).click()
    await see('Value saved as version 2.')
    t.ok(await becomes('document.activeElement?.id', 'edit-button'), 'the focus is back on "Edit value"')
    const versionRows = page.locator('section[aria-labelledby="history-title"] tbody tr')
    await page.getByRole('button', { name: 'Roll back to version 1' }).waitFor()
    t.equal(await versionRows.count(), 2, 'two versions')
    t.match(await versionRows.first().innerText(), /2\s*current/, 'version 2 is current')
    t.equal(await page.locator('.meta div', { hasText: 'Version' }).locator('dd').innerText(), '2')

    await page.getByRole('button', { name: 'Roll back to version 1' }).click()
    await see('Rolled back: version 3 holds the value of version 1.')
    await page.getByRole('button', { name: 'Roll back to version 2' }).waitFor()
    t.equal(await versionRows.count(), 3, 'three versions')
    const fingerprints = await versionRows.locator('td[data-label="Fingerprint"]').allInnerTexts()
    t.equal(fingerprints[0], fingerprints[2], 'version 3 has the fingerprint of version 1')
    t.not(fingerprints[0], fingerprints[1])
    await page.getByRole('button', { name: 'Reveal value' }).click()
    t.equal(await page.getByLabel('Value of db_password').textContent(), MULTI_LINE, 'the old value is back')
    await page.getByRole('button', { name: 'Hide value' }).click()
    await page.getByRole('button', { name: 'Reveal value' }).waitFor()
    await shot('desktop-secret')
  })

  t.test('delete with confirmation, restore from the trash', async t => {
    await page.getByRole('button', { name: 'Delete secret' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete "db_password"?' })
    await dialog.waitFor()
    t.ok(await becomes('document.activeElement?.textContent', 'Cancel'), 'Cancel has the focus')
    await shot('desktop-delete-confirm')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    t.equal((await api('GET', '/v1/secrets/db_password')).status, 200, 'Escape deletes nothing')

    await page.getByRole('button', { name: 'Delete secret' }).click()
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click()
    await heading('Secrets').waitFor()
    await see('Secret "db_password" moved to the trash. You can restore it from Trash.')
    await page.getByRole('row', { name: /hf_access_token/ }).waitFor()
    t.equal(await page.getByRole('row', { name: /db_password/ }).count(), 0, 'gone from the list')

    await nav('Trash').click()
    const row = page.getByRole('row', { name: /db_password/ })
    await row.waitFor()
    t.match(await row.innerText(), /db_password\s+default/)
    await shot('desktop-trash')
    await page.getByRole('button', { name: 'Restore db_password' }).click()
    await see('Secret "db_password" restored to default at version 3.')
    await see('The trash is empty.')
    await nav('Secrets').click()
    t.match(await page.getByRole('row', { name: /db_password/ }).innerText(), /db_password\s+default\s+3/, 'listed again, at version 3')
  })

  let createdKey = ''
  t.test('create a key, shown once with a copy button, and revoke it', async t => {
    await nav('API keys').click()
    await heading('API keys').waitFor()
    await page.getByLabel('Name', { exact: true }).fill('ci-deploy')
    await page.getByLabel('secrets:list').check()
    await page.getByLabel('secrets:read').check()
    await page.getByLabel('ml', { exact: true }).check()
    await page.getByRole('button', { name: 'Create key' }).click()
    const output = page.getByLabel('The new API key')
    await output.waitFor()
    createdKey = await output.inputValue()
    t.match(createdKey, /^trove_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/, 'the key is shown')
    t.ok(await becomes('document.activeElement?.id', 'created-key'), 'with the focus, selected for copying')
    t.equal(await inPage('document.activeElement.value.slice(document.activeElement.selectionStart, document.activeElement.selectionEnd)'), createdKey)
    await page.getByRole('button', { name: 'Copy key' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    t.equal(await inPage('navigator.clipboard.readText()'), createdKey, 'the key is on the clipboard')
    const teams = await api('GET', '/v1/teams', undefined, createdKey)
    t.same(teams.body.teams, [{ id: mlId, name: 'ml' }], 'the key works, in the team chosen')
    await shot('desktop-keys-created')

    await page.getByRole('button', { name: 'I have stored it: hide the key' }).click()
    await output.waitFor({ state: 'detached' })
    t.notOk((await page.content()).includes(createdKey), 'the key is not on the page any more')
    t.ok(await becomes('document.activeElement?.tagName', 'H1'), 'the focus goes to the heading')

    const id = createdKey.slice(6, 18)
    await page.getByRole('button', { name: `Revoke key ci-deploy (${id})` }).click()
    const dialog = page.getByRole('dialog', { name: 'Revoke key "ci-deploy"?' })
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click()
    await see(`Key "ci-deploy" (${id}) revoked: it is refused from now on.`)
    await page.locator('tr', { hasText: 'ci-deploy' }).filter({ hasText: 'revoked' }).waitFor()
    t.equal((await api('GET', '/v1/teams', undefined, createdKey)).status, 401, 'the revoked key is refused')
    await shot('desktop-keys')
  })

  t.test('the audit page shows each of those and the chain check', async t => {
    await nav('Audit log').click()
    await heading('Audit log').waitFor()
    await see('The chain is intact.')
    await page.locator('table.audit tbody tr').first().waitFor()
    const entries = await page.$$eval('table.audit tbody tr', rows => rows.map(row => ({
      event: row.querySelector('[data-label="Event"]')?.textContent ?? '',
      secret: row.querySelector('[data-label="Secret"]')?.textContent ?? '',
      detail: row.querySelector('[data-label="Detail"]')?.textContent ?? ''
    })))
    const count = (event: string, secret?: string): number =>
      entries.filter(e => e.event === event && (secret === undefined || e.secret === secret)).length
    t.equal(count('SECRET_UPDATED', 'db_password'), 3, 'added, edited, rolled back')
    t.equal(count('SECRET_READ', 'db_password'), 2, 'two reveals')
    t.equal(count('SECRET_DELETED', 'db_password'), 1, 'deleted')
    t.equal(count('SECRET_RESTORED', 'db_password'), 1, 'restored')
    t.equal(entries.filter(e => e.event === 'KEY_CREATED' && e.detail.includes('ci-deploy')).length, 1, 'key created')
    t.equal(count('KEY_REVOKED'), 1, 'key revoked')
    t.ok(count('AUTH_FAILED') >= 1, 'the wrong key')
    t.notOk(JSON.stringify(entries).includes('line one'), 'no value in the log')
    await shot('desktop-audit')

    await page.getByLabel('Event').selectOption('SECRET_READ')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByRole('row', { name: /SECRET_UPDATED/ }).first().waitFor({ state: 'detached' })
    const filtered = await page.locator('table.audit tbody [data-label="Event"]').allInnerTexts()
    t.same(filtered, ['SECRET_READ', 'SECRET_READ'], 'filtered by event')
    await page.getByRole('button', { name: 'Clear' }).click()
    await page.getByRole('row', { name: /KEY_REVOKED/ }).waitFor()
    await page.getByLabel('Secret name').fill('hf_access_token')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByRole('row', { name: /KEY_REVOKED/ }).waitFor({ state: 'detached' })
    t.same(await page.locator('table.audit tbody [data-label="Secret"]').allInnerTexts(), ['hf_access_token'], 'filtered by secret')
  })

  t.test('readable at phone width', async t => {
    await page.setViewportSize(PHONE)
    const fits = async (what: string): Promise<void> => {
      const { scroll, width } = await inPage('({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })') as { scroll: number, width: number }
      t.ok(scroll <= width, `${what}: no sideways scrolling (${scroll} <= ${width})`)
    }
    await page.getByRole('button', { name: 'Clear' }).click()
    await page.getByRole('row', { name: /KEY_REVOKED/ }).waitFor()
    await fits('audit')
    await inPage('window.scrollTo(0, 0)')
    await shot('phone-audit', false)
    await nav('Secrets').click()
    // the audit rows name db_password too: wait for the secrets page before looking for its row
    await heading('Secrets').waitFor()
    await page.getByRole('row', { name: /db_password/ }).waitFor()
    await fits('secrets')
    await shot('phone-secrets')
    await page.getByRole('link', { name: 'db_password' }).click()
    await page.getByRole('button', { name: 'Reveal value' }).click()
    await page.getByLabel('Value of db_password').waitFor()
    await fits('secret')
    await shot('phone-secret')
    await nav('API keys').click()
    await page.getByRole('row', { name: /ci-deploy/ }).waitFor()
    await fits('keys')
    await shot('phone-keys')
    await nav('Trash').click()
    await see('The trash is empty.')
    await fits('trash')

    // just above the card layout the keys table (nine columns) is wider than the window: it
    // scrolls in its own box, and the page does not
    await page.setViewportSize({ width: 760, height: 800 })
    await nav('API keys').click()
    await page.getByRole('row', { name: /ci-deploy/ }).waitFor()
    await fits('keys at 760 px')
    const box = await inPage("(b => ({ scroll: b.scrollWidth, client: b.clientWidth }))(document.querySelector('.table-scroll'))") as { scroll: number, client: number }
    t.ok(box.scroll > box.client, `the table scrolls in its box (${box.scroll} > ${box.client})`)
    await nav('Audit log').click()
    await page.getByRole('row', { name: /KEY_REVOKED/ }).waitFor()
    await fits('audit at 760 px')
    await page.setViewportSize(DESKTOP)
  })

  t.test('changes made elsewhere meanwhile: edit and delete take on the version there now', async t => {
    await api('POST', '/v1/secrets', { name: 'shared_token', value: 'first' })
    await nav('Secrets').click()
    await heading('Secrets').waitFor()
    await page.getByRole('button', { name: 'Add secret' }).click()
    t.ok(await becomes('document.activeElement?.id', 'new-name'), 'the empty name field has the focus')
    await page.getByRole('button', { name: 'Cancel' }).click()
    const closed = await page.getByRole('heading', { name: 'Add secret' }).waitFor({ state: 'detached', timeout: 2000 }).then(() => true, () => false)
    t.ok(closed, 'one click on Cancel closes the form, though the empty name field lost the focus')

    await page.getByRole('link', { name: 'shared_token' }).click()
    await heading('shared_token').waitFor()
    const shownVersion = page.locator('.meta div', { hasText: 'Version' }).locator('dd')
    await page.getByRole('button', { name: 'Edit value' }).click()
    await page.getByLabel('New value for shared_token').fill('mine')
    await api('POST', '/v1/secrets', { name: 'shared_token', value: 'theirs' })
    await page.getByRole('button', { name: 'Save new value' }).click()
    await see(/it is now at version 2, shown above with its history/)
    t.equal(await shownVersion.innerText(), '2', 'the page shows version 2')
    await page.getByRole('button', { name: 'Save new value' }).click()
    await see('Value saved as version 3.')
    t.equal(await shownVersion.innerText(), '3')

    await page.getByRole('button', { name: 'Delete secret' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete "shared_token"?' })
    await dialog.waitFor()
    await api('POST', '/v1/secrets', { name: 'shared_token', value: 'theirs again' })
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click()
    await dialog.getByText(/it is now at version 4\. The page shows it as it is now/).waitFor()
    t.equal(await shownVersion.innerText(), '4', 'the page behind the dialog shows version 4')
    t.equal(await page.getByText(/it is now at version 4/).count(), 1, 'the error is shown once, in the dialog')
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click()
    await heading('Secrets').waitFor()
    await see('Secret "shared_token" moved to the trash. You can restore it from Trash.')
    t.equal((await api('DELETE', '/v1/trash/shared_token')).status, 200, 'destroyed, so the trash is empty again')
  })

  t.test('a reload while the server cannot answer keeps the session', async t => {
    await nav('Trash').click()
    await heading('Trash').waitFor()
    const unavailable = JSON.stringify({ error: 'Service Unavailable', message: 'the server is shutting down; retry shortly', code: 'shutting_down' })
    await page.route('**/v1/teams', route => route.fulfill({ status: 503, contentType: 'application/json', body: unavailable }))
    await page.reload()
    await see(/Your session could not be checked: the server is shutting down/)
    t.equal(await inPage("sessionStorage.getItem('trove.apiKey')"), ADMIN_KEY, 'the key is kept')
    await page.unroute('**/v1/teams')
    await page.getByRole('button', { name: 'Try again' }).click()
    t.ok(await heading('Trash').waitFor({ timeout: 5000 }).then(() => true, () => false), 'back on the page it was on')
  })

  t.test('sign out, then sign in and move around with the keyboard alone', async t => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await heading('Sign in to Trove').waitFor()
    await see('You have signed out.')
    t.equal(await inPage("sessionStorage.getItem('trove.apiKey')"), null, 'sign-out clears the key')
    await page.setViewportSize(PHONE)
    await shot('phone-sign-in')
    await page.setViewportSize(DESKTOP)

    await page.keyboard.press('Tab')
    t.ok(await becomes('document.activeElement?.id', 'api-key'), 'Tab reaches the key field')
    await page.keyboard.type(ADMIN_KEY)
    await page.keyboard.press('Enter')
    await heading('Secrets').waitFor()
    await page.keyboard.press('Tab')
    t.ok(await becomes('document.activeElement?.textContent', 'Skip to content'), 'a skip link comes first')
    const reached: string[] = []
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab')
      reached.push(String(await inPage('document.activeElement?.textContent')))
    }
    t.same(reached, ['Secrets', 'Trash', 'API keys', 'Audit log'], 'then the navigation, in order')
    await page.keyboard.press('Enter')
    await heading('Audit log').waitFor()
    t.ok(await becomes('document.activeElement?.tagName', 'H1'), 'a new page puts the focus on its heading')
  })

  t.test('a key revoked during the session signs the console out', async t => {
    const other = await api('POST', '/v1/api_keys', { name: 'short-lived', scopes: ['secrets:list'] })
    const key = String(other.body.key)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('row', { name: /hf_access_token/ }).waitFor()
    // a key without audit:read: the audit page says so once, not once for the list and once for the chain check
    await nav('Audit log').click()
    await heading('Audit log').waitFor()
    await see(/lacks the "audit:read" scope/)
    t.equal(await page.getByText(/lacks the "audit:read" scope/).count(), 1, 'the missing scope is reported once')
    t.equal(await page.getByRole('heading', { name: 'Hash chain check' }).count(), 0, 'no chain check it cannot run')
    await api('DELETE', `/v1/api_keys/${String(other.body.id)}`)
    await nav('Trash').click()
    await heading('Sign in to Trove').waitFor()
    await see('You were signed out: the API key has been revoked.')
    t.equal(await inPage("sessionStorage.getItem('trove.apiKey')"), null, 'the key is forgotten')
  })

  t.test('nothing left the origin, nothing broke the policy', async t => {
    t.same(seen.foreign, [], 'no request to another origin')
    t.same(seen.cspViolations, [], 'no Content-Security-Policy violation')
    t.same(seen.pageErrors, [], 'no script error')
  })
}

import type { Command } from 'commander'

export function registerApiKey(program: Command): void {
  const apikey = program.command('apikey').description('API keys for a SecurityPolicy\'s keysFile (stored as SHA-256 hashes).')
  apikey.command('hash')
    .description('Read one key from stdin and print its SHA-256 (hex), the value a keys file stores.')
    .option('--name <consumer>', 'print a whole keys-file entry for this consumer instead')
    .addHelpText('after', [
      '',
      'The key is the whole of stdin, without its trailing line break; it is never echoed.',
      '',
      'Examples:',
      '  printf %s "$KEY" | trellis apikey hash',
      '  openssl rand -hex 24 | tee alice.key | trellis apikey hash --name alice >> api-keys.yaml',
    ].join('\n'))
    .action(async (opts: { name?: string }) => {
      const [{ hashApiKey }, { isConsumerName }] = await Promise.all([
        import('../gateway/security/api-keys.js'), import('../gateway/security/consumer-name.js')])
      if (opts.name !== undefined && !isConsumerName(opts.name)) throw new Error('--name: use visible ASCII characters, without spaces')
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      const key = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
      if (key === '') throw new Error('no key on stdin')
      const hex = hashApiKey(key)
      process.stdout.write(opts.name === undefined ? `${hex}\n` : `  - { name: ${opts.name}, sha256: ${hex} }\n`)
    })
}

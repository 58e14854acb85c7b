import { test } from 'node:test'
import assert from 'node:assert/strict'
import { equalsLower } from './ascii-case.js'

test('equalsLower ignores the case of ASCII letters only', () => {
  assert.ok(equalsLower('Content-Length', 'content-length'))
  assert.ok(equalsLower('CONNECTION', 'connection'))
  assert.ok(equalsLower('connection', 'connection'))
  assert.ok(!equalsLower('Connection ', 'connection'))
  assert.ok(!equalsLower('Connectio', 'connection'))
  assert.ok(!equalsLower('content_length', 'content-length'))
  assert.ok(!equalsLower('\u212Aeep-alive', 'keep-alive'))     // Kelvin sign: lowercases to k, not ASCII
  assert.ok(!equalsLower('[', '{'))                              // 0x5B + 32 is 0x7B, but [ is no letter
})

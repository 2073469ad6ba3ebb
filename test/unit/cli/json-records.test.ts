import { describe, expect, it } from 'vitest'
import { JsonRecordError, parseJsonRecord } from '../../../src/cli/json-records.js'

const text = (b: Buffer | null | undefined): string | null | undefined => (b === null || b === undefined ? b : b.toString('utf8'))

describe('--format json lines', () => {
  it('strings are UTF-8, null stays null, other JSON values are sent as JSON text', () => {
    const r = parseJsonRecord('{"key":"k1","value":{"total":42,"ok":true}}', 1, null)
    expect(text(r?.key)).toBe('k1')
    expect(text(r?.value)).toBe('{"total":42,"ok":true}')
    const t = parseJsonRecord('{"value":null}', 2, null)
    expect(t?.key).toBeNull()
    expect(t?.value).toBeNull()
    expect(text(parseJsonRecord('{"key":7,"value":[1,"é"]}', 3, null)?.value)).toBe('[1,"é"]')
    expect(text(parseJsonRecord('{"key":7,"value":"v"}', 3, null)?.key)).toBe('7')
  })

  it('headers as an object or as pairs (repeated keys kept, in order), after the -H headers; partition kept', () => {
    const dflt = [['source', Buffer.from('cli')]] as const
    const r = parseJsonRecord('{"value":"v","headers":[["a","1"],["a","2"],["n",null]],"partition":2}', 1, dflt)
    expect(r?.headers?.map(([k, v]) => [k, text(v)])).toEqual([['source', 'cli'], ['a', '1'], ['a', '2'], ['n', null]])
    expect(r?.partition).toBe(2)
    const o = parseJsonRecord('{"value":"v","headers":{"x":"y"}}', 1, null)
    expect(o?.headers?.map(([k, v]) => [k, text(v)])).toEqual([['x', 'y']])
    expect(parseJsonRecord('{"value":"v"}', 1, dflt)?.headers).toBe(dflt)
    expect(parseJsonRecord('{"value":"v"}', 1, null)).not.toHaveProperty('partition')
  })

  it('blank lines are skipped', () => {
    expect(parseJsonRecord('   ', 4, null)).toBeUndefined()
  })

  it.each([
    ['not json', /line 5: not JSON/],
    ['[1,2]', /line 5: expected an object/],
    ['"v"', /line 5: expected an object/],
    ['{"key":"k"}', /line 5: missing "value"/],
    ['{"value":"v","topic":"t"}', /line 5: unknown field "topic"/],
    ['{"value":"v","partition":-1}', /"partition" must be an integer/],
    ['{"value":"v","partition":1.5}', /"partition" must be an integer/],
    ['{"value":"v","partition":"1"}', /"partition" must be an integer/],
    ['{"value":"v","headers":{"a":1}}', /header "a" must be a string or null/],
    ['{"value":"v","headers":[["a"]]}', /\[key, value\] pairs/],
    ['{"value":"v","headers":"a=b"}', /headers must be an object/],
  ])('refuses %s naming the line', (line, message) => {
    expect(() => parseJsonRecord(line, 5, null)).toThrow(JsonRecordError)
    expect(() => parseJsonRecord(line, 5, null)).toThrow(message)
  })
})

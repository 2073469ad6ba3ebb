// Harness feature levels: what `KAFKA_FEATURES` and ClusterOptions.features turn into for StorageTool format.
import { describe, expect, it } from 'vitest'
import { featureFormatArgs, parseFeatureList } from '../../../src/broker/cluster.js'

describe('broker feature levels', () => {
  it('become --feature name=level arguments, in order', () => {
    expect(featureFormatArgs({ 'transaction.version': 1, 'group.version': 0 })).toEqual(['--feature', 'transaction.version=1', '--feature', 'group.version=0'])
    expect(featureFormatArgs(undefined)).toEqual([])
  })

  it('parse from a comma-separated list', () => {
    expect(parseFeatureList('transaction.version=1, group.version=1')).toEqual({ 'transaction.version': 1, 'group.version': 1 })
    expect(parseFeatureList(undefined)).toEqual({})
    expect(parseFeatureList('')).toEqual({})
  })

  it('refuse what StorageTool would misread', () => {
    expect(() => parseFeatureList('transaction.version')).toThrow(/name=level/)
    expect(() => parseFeatureList('transaction.version=-1')).toThrow(/name=level/)
    expect(() => featureFormatArgs({ 'Bad Name': 1 })).toThrow(/feature name/)
    expect(() => featureFormatArgs({ 'transaction.version': 1.5 })).toThrow(/int16/)
    expect(() => featureFormatArgs({ 'transaction.version': 40000 })).toThrow(/int16/)
  })
})

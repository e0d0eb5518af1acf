// The Recorder handed to each check: typed against the catalogue, it turns a check's records into
// wire samples, leaving out empty tags and non-finite fields.
import type { FieldsOf, MeasurementName, Sample, TagsOf, WireSample } from '../protocol/index.ts';
import type { Recorder } from './checks/types.ts';

/** Collects the samples of one check run; tags with no value are left out. */
export class SampleRecorder implements Recorder {
  readonly samples: WireSample[] = [];

  record<M extends MeasurementName>(measurement: M, tags: TagsOf<M>, fields: FieldsOf<M>, time: Date = new Date()): void {
    const cleanTags: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags as Record<string, string | undefined>)) {
      if (v !== undefined && v !== '') cleanTags[k] = v;
    }
    const cleanFields: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(fields as Record<string, number | string | undefined>)) {
      if (v !== undefined && !(typeof v === 'number' && !Number.isFinite(v))) cleanFields[k] = v;
    }
    const sample: Sample<M> = { measurement, tags: tags, fields: fields, time: time.toISOString() };
    this.samples.push({ measurement: sample.measurement, tags: cleanTags, fields: cleanFields, time: sample.time });
  }

  drain(): WireSample[] {
    return this.samples.splice(0, this.samples.length);
  }
}

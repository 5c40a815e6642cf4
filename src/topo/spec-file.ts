// Topology spec files: JSON or YAML (the same data either way). The extension
// decides (.json, .yaml/.yml); any other name is tried as JSON, then YAML.
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { escapeControls } from '../eal/quote';
import { TopoSpec, validateSpec } from './spec';

function parseText(file: string, text: string): unknown {
  // The yaml package quotes the offending token, control characters included ("\r"): escaped.
  const yamlErr = (e: unknown): string => escapeControls((e as Error).message.split('\n')[0]);
  if (/\.json$/i.test(file)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // V8 quotes the text around the error, line breaks included.
      throw new Error(escapeControls((e as Error).message));
    }
  }
  if (/\.ya?ml$/i.test(file)) {
    try {
      return parseYaml(text);
    } catch (e) {
      throw new Error(`YAML: ${yamlErr(e)}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text);
    } catch (e) {
      throw new Error(`neither JSON nor YAML (YAML: ${yamlErr(e)})`);
    }
  }
}

/** Reads, parses and validates a spec file; throws one line naming the file. */
export function loadSpecFile(file: string): TopoSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`cannot read spec file '${escapeControls(file)}'`);
  }
  try {
    return validateSpec(parseText(file, text));
  } catch (e) {
    throw new Error(`${escapeControls(file)}: ${(e as Error).message}`);
  }
}

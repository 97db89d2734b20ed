import path from 'node:path';
import ts from 'typescript';
import { ROOT } from './paths.js';

/** Where the API type of each kind this project's manifests use lives in kubernetes-models. */
const API_TYPES: Record<string, { module: string; type: string }> = {
  'v1/Namespace': { module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'apps/v1/DaemonSet': { module: 'kubernetes-models/apps/v1/DaemonSet', type: 'IDaemonSet' },
};

/**
 * Type-checks manifests against the Kubernetes API types with the TypeScript compiler. Unlike
 * the JSON-schema validators (which let unknown fields through, as a lenient API server would
 * drop them), an object literal's excess-property check rejects a misspelt field at any depth,
 * as `kubectl apply` with strict field validation does. Returns the compiler's complaints.
 */
export function kubernetesTypeErrors(manifests: readonly { apiVersion: string; kind: string }[]): string[] {
  const lines: string[] = [];
  manifests.forEach((manifest, index) => {
    const api = API_TYPES[`${manifest.apiVersion}/${manifest.kind}`];
    if (!api) throw new Error(`no API type for ${manifest.apiVersion} ${manifest.kind}`);
    lines.push(
      `import type { ${api.type} as T${index} } from '${api.module}';`,
      `export const m${index}: T${index} = ${JSON.stringify(manifest)};`,
    );
  });
  // A virtual file beside the compiled tests, so that `kubernetes-models` resolves from node_modules.
  const file = path.join(ROOT, 'dist', 'kubernetes-manifests.check.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, lines.join('\n'), language)
      : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

// The `kubernetes` analyzer (docs/facts.md): what a kubectl line, API request or manifest would do.
export type { KubernetesFacts, KubernetesObjectFacts } from './facts.js'
export { KUBERNETES_FACT_TYPES, loadKubernetesAnalyzer } from './kubernetes-analyzer.js'

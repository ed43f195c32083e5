// @ts-check
// The three example plugins as a site would use them: next to this file in the envbox image (or
// a ConfigMap mounted at /etc/envbox, with ENVBOX_CONFIG=/etc/envbox/envbox.config.mjs).
import { defineConfig } from 'envbox';

export default defineConfig({
  plugins: [
    ['./corporate-network.mjs', { caFile: '/etc/corp/ca.pem', proxy: 'http://proxy.corp:3128', noProxy: ['.corp', '10.0.0.0/8'] }],
    './kvm.mjs',
    ['./policy.mjs', { registries: ['registry.corp.example'], maxCpus: 8, maxMemory: '16Gi' }],
  ],
});

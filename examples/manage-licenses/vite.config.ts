import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The app's build. `scripts/app.ts` (dev server) and `test/stack.ts` (preview of the build) add the
// /graphql proxy to the API and the demo sign-in endpoint; see scripts/demo-session.ts.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
});

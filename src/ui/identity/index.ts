export { IdentityArea } from './IdentityArea.tsx'

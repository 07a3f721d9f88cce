export { ChatArea } from './ChatArea.tsx'

export { SettingsPanel, type SettingsActions } from './SettingsPanel.tsx'
export { HideIpChoice, turnAvailability } from './HideIpChoice.tsx'
export { ConnectivityLine } from './ConnectivityLine.tsx'

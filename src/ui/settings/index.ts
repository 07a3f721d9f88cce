export { SettingsPanel, type SettingsActions } from './SettingsPanel.tsx'
export { HideIpChoice } from './HideIpChoice.tsx'
export { ConnectivityLine } from './ConnectivityLine.tsx'

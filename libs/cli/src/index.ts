export { loadProject, type ConnectionEntry, type ConnectorEntry, type Project, substituteEnv } from './project.js';

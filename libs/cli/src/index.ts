export {
  type ConnectionEntry,
  type ConnectorEntry,
  loadProject,
  type Project,
  substituteEnv,
} from './project.js';

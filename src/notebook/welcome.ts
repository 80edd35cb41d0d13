/**
 * Opens `00-welcome.sdenb` the first time a folder that has it is opened (once per
 * workspace), so a newcomer who runs `npm start` lands on the welcome notebook instead of an
 * empty editor. In a folder that is not trusted yet it waits until trust is granted: the
 * notebook's cells could not run before, and VS Code is asking the trust question first.
 */
import * as vscode from "vscode";
import { uriExists } from "../uri-exists";
import { NOTEBOOK_TYPE } from "./serializer";

/** The notebook opened on the first start. */
export const WELCOME_NOTEBOOK = "00-welcome.sdenb";
const OPENED_KEY = "sdeLab.welcomeOpened";

async function findWelcome(): Promise<vscode.Uri | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, WELCOME_NOTEBOOK);
    if (await uriExists(uri)) return uri;
  }
  return undefined;
}

async function openOnce(state: vscode.Memento): Promise<void> {
  if (state.get<boolean>(OPENED_KEY)) return;
  const uri = await findWelcome();
  if (!uri) return;
  await state.update(OPENED_KEY, true);
  await vscode.commands.executeCommand("vscode.openWith", uri, NOTEBOOK_TYPE);
}

/** Opens the welcome notebook on the first start of this workspace, if the setting allows. */
export function registerWelcome(context: vscode.ExtensionContext): vscode.Disposable {
  const enabled = vscode.workspace.getConfiguration("sdeLab").get<boolean>("openWelcomeOnFirstStart", true);
  if (!enabled || context.workspaceState.get<boolean>(OPENED_KEY)) return new vscode.Disposable(() => {});
  if (vscode.workspace.isTrusted) {
    void openOnce(context.workspaceState);
    return new vscode.Disposable(() => {});
  }
  return vscode.workspace.onDidGrantWorkspaceTrust(() => void openOnce(context.workspaceState));
}

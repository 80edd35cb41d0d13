/**
 * SDE Lab: Open Welcome Notebook, and `sdeLab.openNotebook` (argument: a shipped notebook's
 * file name, e.g. `01-microservices.sdenb`). A notebook in the workspace (`notebooks/<name>`
 * or `<name>`) opens as it is; otherwise a copy of the shipped one in the extension's storage,
 * so running and saving it never writes into the installed extension.
 */
import * as vscode from "vscode";
import { uriExists } from "../uri-exists";

const WELCOME = "00-welcome.sdenb";

export function registerOpenNotebook(context: vscode.ExtensionContext): vscode.Disposable {
  const open = async (name: unknown) => {
    try {
      if (typeof name !== "string" || !/^[\w.-]+\.sdenb$/.test(name)) throw new Error(`expected a notebook file name like "${WELCOME}", got ${JSON.stringify(name)}`);
      const notebook = await vscode.workspace.openNotebookDocument(await notebookUri(context, name));
      await vscode.window.showNotebookDocument(notebook);
    } catch (error) {
      void vscode.window.showErrorMessage(`SDE Lab could not open the notebook: ${(error as Error).message}`);
    }
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand("sdeLab.openWelcome", () => open(WELCOME)),
    vscode.commands.registerCommand("sdeLab.openNotebook", open),
  );
}

async function notebookUri(context: vscode.ExtensionContext, name: string): Promise<vscode.Uri> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const candidate of [vscode.Uri.joinPath(folder.uri, "notebooks", name), vscode.Uri.joinPath(folder.uri, name)]) {
      if (await uriExists(candidate)) return candidate;
    }
  }
  const shipped = vscode.Uri.joinPath(context.extensionUri, "notebooks", name);
  if (!(await uriExists(shipped))) throw new Error(`SDE Lab ships no notebook named ${name}`);
  const copy = vscode.Uri.joinPath(context.globalStorageUri, "notebooks", name);
  if (!(await uriExists(copy))) {
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(copy, ".."));
    await vscode.workspace.fs.copy(shipped, copy);
  }
  return copy;
}

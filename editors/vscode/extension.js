// The VS Code client of the supervisor-rules language server: it starts `supervisor-rules lsp`
// (the command and its arguments are settings) and talks to it over stdio.
// 启动 `supervisor-rules lsp`，通过标准输入输出与之通信。
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("supervisor-rules");
  const command = settings.get("server.path", "supervisor-rules");
  const args = settings.get("server.args", ["lsp"]);
  const server = { command, args };
  client = new LanguageClient(
    "supervisor-rules",
    "Supervisor Rules",
    { run: server, debug: server },
    { documentSelector: [{ language: "supervisor-rules" }] }
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("supervisor-rules.server")) {
        vscode.window.showInformationMessage(
          "Supervisor Rules: reload the window to restart the language server. 请重新加载窗口以重启语言服务器。"
        );
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

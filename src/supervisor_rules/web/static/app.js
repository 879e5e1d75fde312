// The page of `supervisor-rules serve`: a form built from the policy's case schema, the decision
// with its reasons and open questions. Plain JavaScript, no build step, no dependencies.
"use strict";

const state = { id: null, policy: null };
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const en = (text) => el("span", { class: "en" }, text);
const types = (schema) => [].concat(schema.type || []);
const words = () => state.policy.labels.words.zh;
const valueLabel = (v) => state.policy.labels.values[v] || v;

async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" },
                                           body: JSON.stringify(body) };
  const response = await fetch(path, init);
  return { status: response.status, data: await response.json() };
}

// ------------------------------------------------------------------ the form
function choice(path, schema, open) {
  // Booleans: 是 / 否, and 未知 only where the fact is open-world (no closed-world default).
  const select = el("select", { "data-path": path, id: "f-" + path.replace(/\W/g, "-") });
  const closed = Object.prototype.hasOwnProperty.call(schema, "default");
  if (open && !closed) select.append(el("option", { value: "" }, "未知 unknown"));
  select.append(el("option", { value: "true" }, "是 yes"), el("option", { value: "false" }, "否 no"));
  select.value = closed ? String(schema.default) : "";
  select.dataset.kind = "boolean";
  select.dataset.initial = select.value;
  return select;
}

function input(path, schema, open) {
  const kinds = types(schema);
  const id = "f-" + path.replace(/\W/g, "-");
  if (kinds.includes("boolean")) return choice(path, schema, open);
  if (schema.enum) {
    const select = el("select", { "data-path": path, id, "data-kind": "enum" },
                      el("option", { value: "" }, open ? "未知 unknown" : "未填 not given"));
    for (const v of schema.enum) if (v !== null) select.append(el("option", { value: v }, `${valueLabel(v)} (${v})`));
    return select;
  }
  if (kinds.includes("array") && schema.items && schema.items.enum) {
    const box = el("div", { class: "multi", "data-path": path, id, "data-kind": "set" });
    for (const v of schema.items.enum) {
      box.append(el("label", {}, el("input", { type: "checkbox", value: v }), ` ${valueLabel(v)}`));
    }
    return box;
  }
  if (kinds.includes("array") && schema.items && schema.items.properties) return records(path, schema.items);
  if (schema.format === "date") return el("input", { type: "date", "data-path": path, id, "data-kind": "date" });
  if (kinds.includes("number")) return el("input", { type: "number", "data-path": path, id, "data-kind": "number" });
  return el("input", { type: "text", "data-path": path, id, "data-kind": "text", maxlength: 200 });
}

function records(path, schema) {
  // A list of records (e.g. renewals): one row of fields per record, with add and remove.
  const list = el("div", { class: "records", "data-path": path, "data-kind": "records" });
  const rows = el("div", { class: "rows" });
  const add = el("button", { type: "button", class: "secondary small", onclick: () => {
    const row = el("div", { class: "record" });
    for (const [name, field] of Object.entries(schema.properties)) {
      const required = (schema.required || []).includes(name);
      row.append(el("label", { class: "sub" }, field.description || name, " ", en(name),
                    input(name, field, types(field).includes("null")), required ? el("span", { class: "req" }, "*") : null));
    }
    row.append(el("button", { type: "button", class: "secondary small", onclick: () => { row.remove(); touched(list); } },
                  "删除 Remove"));
    rows.append(row);
    touched(list);
  } }, "添加一条 Add");
  list.append(rows, add);
  return list;
}

function touched(node) {
  const box = node.closest("fieldset") && node.closest("fieldset").querySelector("input.include");
  if (box) box.checked = true;
}

function buildForm() {
  const fields = $("#fields");
  fields.replaceChildren();
  let schema = state.policy.schema;
  if (schema.anyOf) schema = schema.anyOf[schema.anyOf.length - 1];  // a family: its latest version's form
  const today = new Date().toISOString().slice(0, 10);
  fields.append(el("label", { class: "field as-of" }, "基准日 ", en("as_of"),
                   el("input", { type: "date", id: "f-as_of", "data-path": "as_of", value: today, required: true })));
  for (const [section, sectionSchema] of Object.entries(schema.properties)) {
    if (!sectionSchema.properties) continue;
    const set = el("fieldset", { "data-section": section, id: "s-" + section },
      el("legend", {}, sectionSchema.description || section, " ", en(section),
         el("label", { class: "include-label" }, el("input", { type: "checkbox", class: "include", id: "include-" + section }),
            " 包含 include")));
    for (const [name, field] of Object.entries(sectionSchema.properties)) {
      const closed = Object.prototype.hasOwnProperty.call(field, "default");
      const control = input(`${section}.${name}`, field, !closed);
      set.append(el("label", { class: "field" + (closed ? " closed" : "") },
                    el("span", { class: "label" }, field.description || name, " ", en(name)), control));
    }
    set.addEventListener("change", (event) => { if (!event.target.classList.contains("include")) touched(event.target); });
    fields.append(set);
  }
}

function read(control) {
  const kind = control.dataset.kind;
  if (kind === "boolean") return control.value === "" ? undefined : control.value === "true";
  if (kind === "set") {
    const chosen = [...control.querySelectorAll("input:checked")].map((i) => i.value);
    return chosen.length ? chosen : undefined;
  }
  if (kind === "records") {
    return [...control.querySelectorAll(".record")].map((row) => {
      const record = {};
      for (const c of row.querySelectorAll("[data-path]")) {
        const v = read(c);
        if (v !== undefined) record[c.dataset.path] = v;
      }
      return record;
    });
  }
  if (kind === "number") return control.value === "" ? undefined : Number(control.value);
  return control.value === "" ? undefined : control.value;
}

function collect() {
  const fieldsets = document.querySelectorAll("fieldset[data-section]");
  const c = { as_of: $("#f-as_of").value };
  for (const set of fieldsets) {
    if (!set.querySelector("input.include").checked) continue;
    const section = {};
    for (const control of set.querySelectorAll(":scope > label > [data-path]")) {
      const value = read(control);
      const name = control.dataset.path.split(".").slice(1).join(".");
      // A closed-world fact left at its default is not sent: the engine fills it in.
      if (value !== undefined && !(control.dataset.kind === "boolean" && control.value === control.dataset.initial)) {
        section[name] = value;
      }
    }
    c[set.dataset.section] = section;
  }
  return c;
}

// ------------------------------------------------------------------ the decision
function answerValue(text) {
  return text === "true" ? true : text === "false" ? false : text;
}

function setFact(path, value) {
  const control = document.querySelector(`[data-path="${CSS.escape(path)}"]`);
  if (!control) return;
  if (control.dataset.kind === "set") {
    for (const box of control.querySelectorAll("input")) box.checked = [].concat(value).includes(box.value);
  } else {
    control.value = String(value);
  }
  touched(control);
}

function outcomeLabel(question, value) {
  const table = words()[question + "_values"] || words().status_values;
  return (table && table[value]) || words().effect[value] || value;
}

const QUESTION_WORDS = { eligibility: "资格", term: "聘期", status: "状态", ground: "解聘事由", recusal: "回避",
                         obligation: "义务", violation: "违纪", report: "举报" };

function showQuestions(questions) {
  if (!questions.length) return null;
  const box = el("div", { class: "questions", id: "open-questions" },
                 el("h3", {}, "待补充的事实 ", en("Open questions")));
  for (const q of questions) {
    for (const fact of q.facts) {
      const buttons = Object.entries(fact.outcomes).map(([answer, gives]) =>
        el("button", { type: "button", class: "answer", "data-fact": fact.fact, "data-answer": answer,
                       onclick: () => { setFact(fact.fact, answerValue(answer)); decide(); } },
           `${answer === "true" ? "是" : answer === "false" ? "否" : valueLabel(answer)} → ${outcomeLabel(q.question, gives)}`));
      box.append(el("div", { class: "question" },
        el("p", {}, el("strong", {}, fact.label || fact.fact), " ", en(fact.fact), " ",
           el("span", { class: "muted" }, `（决定${QUESTION_WORDS[q.question] || q.question} decides ${q.question}）`)),
        el("div", { class: "buttons" }, buttons)));
    }
  }
  return box;
}

function showDecision(result) {
  const out = $("#decision");
  const d = result.decision;
  const status = d.status;
  const eligibility = d.eligibility ? d.eligibility.result : null;
  out.replaceChildren(...[
    el("div", { class: "badges" },
       el("div", { class: "badge status-" + status, id: "status" }, "状态 ", el("strong", {}, words().status_values[status] || status),
          " ", en(status)),
       eligibility ? el("div", { class: "badge eligibility-" + eligibility, id: "eligibility" }, "资格 ",
                        el("strong", {}, words().eligibility_values[eligibility] || eligibility), " ", en(eligibility)) : null),
    el("h3", {}, "结论 ", en("Summary")),
    el("pre", { id: "summary" }, result.summary),
    showQuestions(d.open_questions || []),
    el("details", { open: true }, el("summary", {}, "理由 ", en("Reasons")), el("pre", { id: "reasons" }, result.explanation)),
    el("details", {}, el("summary", {}, "JSON"), el("pre", { class: "json" }, JSON.stringify(d, null, 2)))
  ].filter(Boolean));
}

function showProblems(data) {
  const list = el("ul", { class: "problems", id: "problems" });
  for (const p of data.problems || []) {
    list.append(el("li", {}, el("code", {}, p.path || "（案件 case）"), " ", p.message_zh, el("br"), en(p.message),
                   " ", el("span", { class: "muted" }, `[${p.code}]`)));
  }
  $("#decision").replaceChildren(el("h3", { class: "error" }, "案件有误 ", en("The case has problems")), list);
}

async function decide(event) {
  if (event) event.preventDefault();
  const { status, data } = await api(`/v1/policies/${encodeURIComponent(state.id)}/explain?lang=zh`, collect());
  if (status === 200) showDecision(data); else showProblems(data);
}

// ------------------------------------------------------------------ start
async function choose(id) {
  state.id = id;
  const { data } = await api(`/v1/policies/${encodeURIComponent(id)}`);
  state.policy = data;
  $("#document-link").href = `/policies/${encodeURIComponent(id)}/document`;
  buildForm();
  $("#decision").replaceChildren(el("p", { class: "muted" }, "填写案件后点击“判断”。 ", en("Fill the case and press Decide.")));
  document.body.dataset.policy = id;
}

async function start() {
  const { data } = await api("/v1/policies");
  const select = $("#policy");
  for (const p of data.policies) select.append(el("option", { value: p.id }, `${p.title || p.id} (${p.id})`));
  select.addEventListener("change", () => choose(select.value));
  $("#case-form").addEventListener("submit", decide);
  $("#reset").addEventListener("click", () => choose(state.id));
  if (data.policies.length) await choose(data.policies[0].id);
  document.body.dataset.ready = "true";
}

start();

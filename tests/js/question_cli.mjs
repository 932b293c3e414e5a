// Run the page's question judge from Python: read a JSON list of {"spec", "answer"} on stdin and
// print a JSON list of {"passed", "message"} (tests/test_questions.py compares them with Python's).
import { judge } from "../../src/initlab/static/initlab/question.js";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(({ spec, answer }) => {
    try {
      return judge(spec, answer);
    } catch (e) {
      return { error: e.message, name: e.constructor.name };
    }
  });
  process.stdout.write(JSON.stringify(out));
});

// Branching conditions in the browser: a line-by-line copy of is_shown in surveys/branching.py,
// so a constraint can be checked as the respondent leaves the field (constraints.js) with the
// answer the server would give. tests/surveys/condition_table.json holds cases both must answer
// alike (tests/surveys/test_condition_table.py runs them through Python, the e2e test through
// this file). Exposed as window.kundeservice.conditions.
(function () {
  "use strict";

  var NA = "__na__";

  function ConditionError(message) {
    this.name = "ConditionError";
    this.message = message;
  }
  ConditionError.prototype = Object.create(Error.prototype);

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function isShown(condition, answers) {
    if (condition === null || condition === undefined) return true;
    if (
      typeof condition !== "object" ||
      Array.isArray(condition) ||
      Object.keys(condition).length === 0
    ) {
      throw new ConditionError("not a condition");
    }
    if (has(condition, "all")) {
      return list(condition.all).every(function (c) {
        return isShown(c, answers);
      });
    }
    if (has(condition, "any")) {
      return list(condition.any).some(function (c) {
        return isShown(c, answers);
      });
    }
    if (has(condition, "not")) return !isShown(condition.not, answers);
    var key = has(condition, "q") ? condition.q : undefined;
    if (typeof key !== "string") throw new ConditionError("condition without a question");
    var value = answers && has(answers, key) ? answers[key] : undefined;
    if (value === null || value === undefined || value === NA) return false;
    if (has(condition, "in")) {
      var allowed = list(condition["in"]).map(text);
      if (Array.isArray(value)) {
        return value.some(function (v) {
          return allowed.indexOf(text(v)) >= 0;
        });
      }
      return allowed.indexOf(text(value)) >= 0;
    }
    if (has(condition, "has")) {
      return Array.isArray(value) && value.map(text).indexOf(text(condition.has)) >= 0;
    }
    if (has(condition, "cmp")) {
      return compare(value, condition.cmp, has(condition, "value") ? condition.value : null);
    }
    throw new ConditionError("condition without 'in' or 'has'");
  }

  var COMPARISONS = {
    "<": function (a, b) {
      return a < b;
    },
    "<=": function (a, b) {
      return a <= b;
    },
    ">": function (a, b) {
      return a > b;
    },
    ">=": function (a, b) {
      return a >= b;
    },
    "=": function (a, b) {
      return a === b;
    },
    "!=": function (a, b) {
      return a !== b;
    },
  };

  function compare(value, operator, bound) {
    if (typeof operator !== "string" || !has(COMPARISONS, operator)) {
      throw new ConditionError("unknown comparison");
    }
    var a = pyFloat(value);
    var b = pyFloat(bound);
    if (a === null || b === null) return false; // Python's float() refused one of them
    return COMPARISONS[operator](a, b);
  }

  function list(value) {
    if (!Array.isArray(value)) throw new ConditionError("expected a list");
    return value;
  }

  // Python's str.isspace(), which float() strips.
  var SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var STRIP = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  var DIGITS = "\\d(?:_?\\d)*";
  var DECIMAL = new RegExp(
    "^[+-]?(?:(?:" + DIGITS + ")?\\.(?:" + DIGITS + ")|" + DIGITS + "\\.?)(?:[eE][+-]?" + DIGITS + ")?$"
  );
  var SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;
  var OTHER_DIGIT = /[^\x00-\x7f]/gu;
  var UNICODE_DIGIT = /^\p{Nd}$/u;

  // A decimal digit of any script as its ASCII digit (float() reads them all); Unicode keeps
  // such digits in runs of ten, zero first.
  function asciiDigit(char) {
    if (!UNICODE_DIGIT.test(char)) return char;
    var code = char.codePointAt(0);
    var position = 0;
    while (UNICODE_DIGIT.test(String.fromCodePoint(code - position - 1))) position += 1;
    return String(position % 10);
  }

  // Python's float(x): the number, or null where it raises TypeError or ValueError.
  function pyFloat(x) {
    if (typeof x === "number") return x;
    if (typeof x === "boolean") return x ? 1 : 0;
    if (typeof x !== "string") return null;
    var s = x.replace(STRIP, "").replace(OTHER_DIGIT, asciiDigit);
    var special = SPECIAL.exec(s);
    if (special) {
      if (special[2].toLowerCase() === "nan") return NaN;
      return special[1] === "-" ? -Infinity : Infinity;
    }
    if (!DECIMAL.test(s)) return null;
    return Number(s.replace(/_/g, ""));
  }

  // Python's _text(x) (str(x), with a whole float written as an int) for what JSON carries.
  function text(x) {
    if (typeof x === "string") return x;
    if (x === null || x === undefined) return "None";
    if (typeof x === "boolean") return x ? "True" : "False";
    if (typeof x === "number") {
      if (Number.isInteger(x)) return BigInt(x).toString();
      if (Number.isNaN(x)) return "nan";
      if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
      // repr(): the shortest digits, in exponent form below 1e-4 (never above: such a float
      // is whole).
      var parts = x.toExponential().split("e");
      var exponent = Number(parts[1]);
      if (exponent < -4) {
        return parts[0] + "e-" + String(-exponent).padStart(2, "0");
      }
      return String(x);
    }
    return JSON.stringify(x);
  }

  window.kundeservice = window.kundeservice || {};
  window.kundeservice.conditions = {
    isShown: isShown,
    ConditionError: ConditionError,
    pyFloat: pyFloat,
    NA: NA,
  };
})();

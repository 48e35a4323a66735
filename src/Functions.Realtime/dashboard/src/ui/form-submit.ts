// Submitting a form to the API: busy while the call runs, the API's field
// errors by field (shown next to their inputs), or a failure in words.

import { useState } from "preact/hooks";
import { describeError } from "../api";
import { fieldErrorsOf, type FieldErrors } from "./field-errors";

export function useFormSubmit(indexed = false): { busy: boolean; errors: FieldErrors; failure: string | null; submit: (e: Event, run: () => Promise<void>) => Promise<void> } {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event, run: () => Promise<void>) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      await run();
    } catch (err) {
      const fields = fieldErrorsOf(err, indexed);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, failure, submit };
}

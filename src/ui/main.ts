import { Api } from './api.js';
import { byId, describe } from './dom.js';
import { Session } from './session.js';

/**
 * Sign-in and sign-out. The credentials live in the Api object of the open session and nowhere else: no
 * storage, no cookie; closing or reloading the page forgets them.
 */
const signInSection = byId<HTMLElement>('sign-in-section');
const signInForm = byId<HTMLFormElement>('sign-in');
const email = byId<HTMLInputElement>('email');
const password = byId<HTMLInputElement>('password');
const signInError = byId<HTMLElement>('sign-in-error');
const consoleView = byId<HTMLElement>('console');
const whoAmI = byId<HTMLElement>('who');
const signOutButton = byId<HTMLButtonElement>('sign-out');

let session: Session | undefined;

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn();
});
signOutButton.addEventListener('click', () => signOut(''));

async function signIn(): Promise<void> {
  signInError.textContent = '';
  const submit = signInForm.querySelector('button')!;
  submit.disabled = true;
  try {
    const api = new Api(email.value.trim(), password.value);
    const user = await api.me();
    password.value = '';
    session = new Session(api, user, signOut);
    whoAmI.textContent = `Signed in as ${user.email} (${user.role})`;
    show(true);
    await session.open();
    byId<HTMLElement>('console-title').focus();
  } catch (error) {
    signInError.textContent = describe(error);
    password.focus();
  } finally {
    submit.disabled = false;
  }
}

function signOut(reason: string): void {
  session?.close();
  session = undefined;
  show(false);
  signInError.textContent = reason;
  email.focus();
}

function show(signedIn: boolean): void {
  signInSection.hidden = signedIn;
  consoleView.hidden = !signedIn;
  whoAmI.hidden = !signedIn;
  signOutButton.hidden = !signedIn;
}

import { chooseLanguage } from '../../pages/texts/index.ts';
import { type HttpMiddleware, stateOf } from './request-state.ts';

/**
 * The household's language, for the page and for any error page after it: `?lang=` when it names one of
 * ours, else the browser's Accept-Language, else English (lib/pages/texts). Set before anything can
 * fail, so that even a malformed link is answered in the person's language.
 */
export const pageLanguage = (): HttpMiddleware => ({
  before: (request) => {
    const asked = request.event.queryStringParameters?.lang;
    const state = stateOf(request.event);
    state.language = chooseLanguage(asked, request.event.headers?.['accept-language']);
    state.languageAsked = asked !== undefined && asked.trim().toLowerCase() === state.language;
  },
});

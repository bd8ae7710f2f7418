// Preact + hooks + htm from the vendored standalone bundle. A relative import (not the
// import map) so the client also runs on Android Chrome 80-88, which lack import maps.
export {
  html, render, Component, useState, useEffect, useLayoutEffect, useRef, useMemo, useCallback, useReducer, useContext, createContext
} from '../vendor/htm-preact-standalone.module.js'
